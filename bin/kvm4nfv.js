#!/usr/bin/env node
// The CLI is compiled to dist/ by the set-up (npm run build); this file only hands over to it.
import("../dist/cli/main.js")
  .then((m) => m.main(process.argv))
  .catch((err) => {
    if (err && err.code === "ERR_MODULE_NOT_FOUND") {
      process.stderr.write("kvm4nfv: not built yet: run `npm run build` (the README's set-up does it)\n");
      process.exit(2);
    }
    throw err;
  });
