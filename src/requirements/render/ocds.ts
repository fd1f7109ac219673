/**
 * Renders a requirement set as OCDS `tender.criteria`, following the OCDS
 * requirements extension (Criterion → RequirementGroup → Requirement,
 * https://extensions.open-contracting.org/en/extensions/requirements/).
 *
 * Each standard is one criterion with two requirement groups. The extension
 * reads groups as alternatives (a criterion is met when ANY group is met),
 * which is exactly the "or equivalent" rule: group 1 is compliance with the
 * named standard, group 2 a described, demonstrably equivalent solution.
 * Ids derive from the standard id so they stay stable when the selection
 * changes.
 */
import { ANNEX_LABELS, type AnnexLabels } from "../labels.ts";
import type { Requirement, RequirementSet } from "../select.ts";

export interface OcdsRequirement {
  id: string;
  title: string;
  description: string;
  dataType: "boolean" | "string";
  expectedValue?: boolean;
}

export interface OcdsCriterion {
  id: string;
  title: string;
  description: string;
  relatesToTenderer: boolean;
  requirementGroups: { id: string; description: string; requirements: OcdsRequirement[] }[];
}

export interface OcdsTenderCriteria {
  tender: { criteria: OcdsCriterion[] };
}

export function toOcdsCriteria(set: RequirementSet): OcdsTenderCriteria {
  const labels = ANNEX_LABELS[set.language];
  return { tender: { criteria: set.requirements.map((requirement) => criterion(requirement, labels)) } };
}

function criterion(requirement: Requirement, labels: AnnexLabels): OcdsCriterion {
  const id = `baseline-${requirement.standard}`;
  const mandatory = requirement.level === "mandatory";
  return {
    id,
    title: `${requirement.name}${labels.colon}${requirement.fullName}`,
    description: requirement.clause,
    // The standards concern what is delivered, not the tenderer as a company,
    // except management-system certificates, which judge the tenderer.
    relatesToTenderer: requirement.standard === "iso-27001",
    requirementGroups: [
      {
        id: `${id}-standard`,
        description: requirement.verification.method,
        requirements: [
          {
            id: `${id}-standard-1`,
            title: requirement.checklist,
            description: requirement.verification.evidence.map((item) => item.description).join(" "),
            dataType: "boolean",
            // An award criterion has no pass mark: only minimum requirements expect "true".
            ...(mandatory ? { expectedValue: true } : {}),
          },
        ],
      },
      {
        id: `${id}-equivalent`,
        description: labels.orEquivalent,
        requirements: [
          {
            id: `${id}-equivalent-1`,
            title: labels.orEquivalent,
            description: requirement.orEquivalent,
            dataType: "string",
          },
        ],
      },
    ],
  };
}
