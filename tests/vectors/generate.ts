/**
 * Regenerates the test vector files in this folder (docs/FORMAT.md §9). Deterministic: every
 * key, salt and ephemeral secret is SHA-256 of a fixed label, so running it twice writes the
 * same bytes, and a diff after a code change shows exactly which encodings moved.
 *
 *   deno run --allow-read=tests/vectors --allow-write=tests/vectors tests/vectors/generate.ts
 *
 * The vectors are made with lib/crypto; tests/independent/ (written from FORMAT.md alone)
 * checks every one of them, so they do not only check the code against itself.
 *
 * @module
 */

import { blobVectors } from "./_blob_vectors.ts";
import { identityVectors, wrapVectors } from "./_key_vectors.ts";
import { metadataVectors } from "./_metadata_vectors.ts";
import { nameVectors } from "./_name_vectors.ts";
import { loginVectors, receiptVectors, recordVectors } from "./_signed_vectors.ts";
import { VectorSet } from "./_vector_file.ts";

const HERE = new URL(".", import.meta.url);

const set = new VectorSet();
await blobVectors(set);
await wrapVectors(set);
identityVectors(set);
recordVectors(set);
loginVectors(set);
receiptVectors(set);
await metadataVectors(set);
await nameVectors(set);

for (const entry of Deno.readDirSync(HERE)) {
  if (entry.isFile && entry.name.endsWith(".txt")) Deno.removeSync(new URL(entry.name, HERE));
}
const names = [...set.files.keys()].sort();
for (const name of names) Deno.writeTextFileSync(new URL(name, HERE), set.files.get(name)!);
Deno.writeTextFileSync(new URL("index.json", HERE), JSON.stringify(names, null, 2) + "\n");
console.log(`Wrote ${names.length} vectors and index.json to ${HERE.pathname}`);
