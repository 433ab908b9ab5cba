// bun:sqlite's side of the sqlite side-by-side benchmark. Run by main.go as
//   bun bun_sqlite.ts point <db-path> <duration-ms> <rows>
//   bun bun_sqlite.ts insert <db-path> <rows>
//   bun bun_sqlite.ts deserialize <image-path> <iterations>
// and prints one JSON line: {"ops": n, "elapsed_ms": t}. With
//   bun bun_sqlite.ts slices <db-path> <rows>
// it keeps the database open and, for each line "<ms>" read from stdin,
// runs point selects for that long and answers with one such JSON line,
// so the Go side can interleave short Bun slices with its own. Bun runs one
// JavaScript thread, so its point selects are one caller whatever the Go
// side's concurrency.
import { Database } from "bun:sqlite";

const [mode, path, arg, rowsArg] = process.argv.slice(2);

// pointSelects runs point selects by primary key, in blocks of 100, for
// durationMs; ids continue from the offset-th row. It returns how many ran.
function pointSelects(stmt: any, rows: number, offset: number, durationMs: number): number {
  let n = 0;
  const end = performance.now() + durationMs;
  while (performance.now() < end) {
    for (let k = 0; k < 100; k++) {
      const r = stmt.get(((offset + n) % rows) + 1) as { id: number } | null;
      if (!r) throw new Error("no row");
      n++;
    }
  }
  return n;
}

if (mode === "point") {
  const durationMs = Number(arg);
  const rows = Number(rowsArg);
  const db = new Database(path, { readonly: true });
  const stmt = db.query("SELECT id, name, score FROM bench WHERE id = ?");
  for (let i = 0; i < 2000; i++) stmt.get((i % rows) + 1); // warm up
  const start = performance.now();
  const count = pointSelects(stmt, rows, 0, durationMs);
  const elapsed = performance.now() - start;
  db.close();
  console.log(JSON.stringify({ ops: count, elapsed_ms: elapsed }));
} else if (mode === "slices") {
  const rows = Number(arg);
  const db = new Database(path, { readonly: true });
  const stmt = db.query("SELECT id, name, score FROM bench WHERE id = ?");
  for (let i = 0; i < 2000; i++) stmt.get((i % rows) + 1); // warm up
  console.log(JSON.stringify({ ops: 0, elapsed_ms: 0 })); // ready
  let count = 0;
  for await (const line of console) {
    const durationMs = Number(line.trim());
    if (!(durationMs > 0)) break;
    const start = performance.now();
    const n = pointSelects(stmt, rows, count, durationMs);
    count += n;
    console.log(JSON.stringify({ ops: n, elapsed_ms: performance.now() - start }));
  }
  db.close();
} else if (mode === "insert") {
  const rows = Number(arg);
  const db = new Database(path, { create: true });
  db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
  db.exec("CREATE TABLE ins(id INTEGER PRIMARY KEY, name TEXT, score REAL)");
  const ins = db.prepare("INSERT INTO ins(name, score) VALUES (?, ?)");
  const start = performance.now();
  db.transaction(() => {
    for (let i = 0; i < rows; i++) ins.run("row", i);
  })();
  const elapsed = performance.now() - start;
  db.close();
  console.log(JSON.stringify({ ops: rows, elapsed_ms: elapsed }));
} else if (mode === "deserialize") {
  const iterations = Number(arg);
  const bytes = await Bun.file(path).bytes();
  let best = Infinity;
  for (let i = 0; i < iterations; i++) {
    const start = performance.now();
    const db = Database.deserialize(bytes, { readonly: true });
    db.query("SELECT count(*) FROM sqlite_schema").get();
    db.close();
    best = Math.min(best, performance.now() - start);
  }
  console.log(JSON.stringify({ ops: 1, elapsed_ms: best }));
} else {
  throw new Error("unknown mode " + mode);
}
