// Lint rules that catch what the type checker does not: promises nobody awaits (a lost
// rejection is a lost job), type-only imports (verbatimModuleSyntax), import cycles and
// dependencies a package uses without declaring them.
import tseslint from "typescript-eslint";
import importX from "eslint-plugin-import-x";
import { readdirSync } from "node:fs";
import { join } from "node:path";

const root = import.meta.dirname;
const workspaceDirs = ["packages", "services"].flatMap((group) =>
  readdirSync(join(root, group), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => `${group}/${entry.name}`),
).concat(["test"]);

// Code may import only what its own package.json declares; tests may also use the root's
// dev tools (vitest, the openai client).
const dependencyRules = workspaceDirs.flatMap((dir) => [
  {
    files: [`${dir}/**/*.ts`],
    rules: { "import-x/no-extraneous-dependencies": ["error", { packageDir: [join(root, dir)] }] },
  },
  {
    files: [`${dir}/**/*.test.ts`, `${dir}/**/test-support/**/*.ts`, "test/**/*.ts"],
    rules: { "import-x/no-extraneous-dependencies": ["error", { packageDir: [join(root, dir), root] }] },
  },
]);

export default tseslint.config(
  { ignores: ["**/node_modules/**", "**/dist/**", "**/.data/**", "bench/results/**", "scripts/run.mjs"] },
  {
    files: ["**/*.ts"],
    extends: [tseslint.configs.base],
    plugins: { "import-x": importX },
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ["vitest.config.ts"] }, tsconfigRootDir: root },
    },
    settings: {
      "import-x/resolver-next": [importX.createNodeResolver()],
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: { arguments: false } }],
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" }],
      "import-x/no-cycle": "error",
      "no-restricted-syntax": [
        "error",
        { selector: "ExportAllDeclaration", message: "Name every export (no `export *`)." },
      ],
    },
  },

  ...dependencyRules,
);
