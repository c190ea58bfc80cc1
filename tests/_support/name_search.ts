/**
 * Searching a node's data directory byte by byte for text it must not hold in the clear (issue
 * #10 §6): every file, in UTF-8 and UTF-16 (both byte orders).
 */

/** Bytes to look for, and how to say it was found. */
export interface Needle {
  label: string;
  bytes: Uint8Array;
}

function utf16(s: string, littleEndian: boolean): Uint8Array {
  const out = new Uint8Array(s.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < s.length; i++) view.setUint16(i * 2, s.charCodeAt(i), littleEndian);
  return out;
}

/** Each name as UTF-8, UTF-16LE and UTF-16BE bytes, and its whole words (the longer ones). */
export function needles(names: string[]): Needle[] {
  const texts = new Set<string>();
  for (const n of names) {
    texts.add(n);
    for (const w of n.split(/[\s-]+/)) if ([...w].length >= 5) texts.add(w);
  }
  return [...texts].flatMap((t) => [
    { label: `${t} (UTF-8)`, bytes: new TextEncoder().encode(t) },
    { label: `${t} (UTF-16LE)`, bytes: utf16(t, true) },
    { label: `${t} (UTF-16BE)`, bytes: utf16(t, false) },
  ]);
}

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  const first = needle[0];
  outer: for (let i = hay.indexOf(first); i !== -1; i = hay.indexOf(first, i + 1)) {
    if (i + needle.length > hay.length) return -1;
    for (let j = 1; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Every file under `dir`, with its bytes. */
async function filesOf(dir: string): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  const walk = async (d: string) => {
    for await (const e of Deno.readDir(d)) {
      const p = `${d}/${e.name}`;
      if (e.isDirectory) await walk(p);
      else if (e.isFile) out.set(p, await Deno.readFile(p));
    }
  };
  await walk(dir);
  return out;
}

/** Where each needle occurs in the nodes' data directories: "label in file". */
export async function occurrences(
  dirs: string[],
  wanted: Needle[],
): Promise<{ found: string[]; files: string[] }> {
  const found: string[] = [];
  const files: string[] = [];
  for (const dir of dirs) {
    for (const [path, bytes] of await filesOf(dir)) {
      files.push(path.slice(dir.length + 1));
      for (const w of wanted) {
        if (indexOf(bytes, w.bytes) !== -1) found.push(`${w.label} in ${path}`);
      }
    }
  }
  return { found, files };
}
