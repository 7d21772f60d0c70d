/**
 * Modules talk only through what they export: a file under `src/<module>/` may import another
 * module's top-level files (its module, service, types), never a file in one of its subfolders
 * (`src/<other>/<folder>/...`). ESLint's own no-restricted-imports, one entry per folder depth:
 * from a file `depth` folders below `src/`, exactly `depth` steps up reach `src/`.
 */
const message =
  "Another module's subfolder is its own business: import what it exports from its top-level files, or move the piece to common/.";

export const moduleBoundaries = [1, 2, 3].map((depth) => ({
  files: [`src/${'*/'.repeat(depth)}*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      { patterns: [{ regex: `^(\\.\\./){${depth}}[^./][^/]*/[^/]+/`, message }] },
    ],
  },
}));
