// Lint rules: ESLint's recommended set plus typescript-eslint's type-aware
// strict rules, over sources, tests, scripts and benchmarks.
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import globals from "globals";
import tseslint from "typescript-eslint";

export default defineConfig(
  { ignores: ["node_modules/", ".tools/", "out/", ".scratch/"] },
  js.configs.recommended,
  tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: { projectService: { allowDefaultProject: ["bin/*.js", "eslint.config.js"] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
      "@typescript-eslint/no-confusing-void-expression": ["error", { ignoreArrowShorthand: true }],
    },
  },
  {
    files: ["**/*.test.ts"],
    rules: {
      // node:test's describe/it return promises that the runner awaits itself.
      "@typescript-eslint/no-floating-promises": "off",
    },
  },
);
