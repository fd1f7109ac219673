/**
 * A living start: on first start (no institution yet) the starter dataset
 * (data/observatory/starter.yaml) is loaded as published entries, so a
 * newcomer's first page shows real policies rather than an empty table.
 */
import type { Catalog } from "../catalog/catalog.ts";
import { loadStarterDataset } from "../observatory/starter.ts";
import { createInstitution, createPolicy, knownIdsOf, listInstitutions, type Store } from "../store/index.ts";

export async function seedIfEmpty(store: Store, catalog: Catalog): Promise<{ institutions: number; policies: number } | undefined> {
  const { total } = await listInstitutions(store.db, { limit: 1 });
  if (total > 0) return undefined;
  const dataset = loadStarterDataset(undefined, catalog);
  const ids = new Map<string, string>();
  for (const institution of dataset.institutions) {
    const saved = await createInstitution(store.db, { name: institution.name, kind: institution.kind, country: institution.country ?? "", region: institution.region, globalSouth: institution.globalSouth, sector: institution.sector }, null);
    ids.set(institution.key, saved.id);
  }
  const known = knownIdsOf(catalog);
  for (const policy of dataset.policies) {
    await createPolicy(
      store.db,
      {
        institutionId: ids.get(policy.institution) ?? policy.institution,
        title: policy.title,
        type: policy.type,
        status: policy.status,
        adoptedOn: policy.adoptedOn,
        sourceUrl: policy.sourceUrl,
        language: policy.language,
        coversInternet: policy.coversInternet,
        securityText: policy.securityText,
        securityTags: policy.securityTags,
        citesStandards: policy.citesStandards,
        otherStandards: policy.otherStandards,
        evidence: policy.evidence,
        bestPracticeTags: policy.bestPracticeTags,
        barrierTags: policy.barrierTags,
        globalSouthTags: policy.globalSouthTags,
        reviewState: "published",
        categories: policy.categories,
        standards: policy.standards,
      },
      null,
      { known },
    );
  }
  await store.optimize();
  return { institutions: dataset.institutions.length, policies: dataset.policies.length };
}
