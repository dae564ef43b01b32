#!/usr/bin/env bash
# Rewrites citations of the spec folder that lies outside the repository into citations of docs/:
#   `scheduling.md §5.3` → `docs/scheduling.md §5.3`, `(data-model.md §3)` → `(docs/data-model.md §3)`,
#   toolchain/style notes → the docs/ page that now holds those facts, plus a few one-off fixes of
#   citations that never resolved (listed below). Mechanical and idempotent: run it again after a
#   merge brings in more old-style citations, then run test/ts/docs/citations.test.ts.
# Never touches sql/migrations/: landed migrations are hashed (even a comment edit breaks migrate).
# Usage: test/support/rewrite-citations.sh [ROOT]   (default: this repository; prints the counts)
set -euo pipefail
root=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
cd "$root"

mapfile -t files < <(
  grep -rlIE --exclude-dir=node_modules --exclude-dir=dist --exclude-dir=.git '\.md|§' \
    sql src test bench docker 2>/dev/null \
  | grep -v -e '^test/fixtures/' -e '^sql/migrations/' -e '^test/support/citations\.ts$' \
            -e '^test/support/rewrite-citations\.sh$' -e '^test/ts/docs/citations\.test\.ts$' \
  | sort
)
if [ "${#files[@]}" -eq 0 ]; then echo "rewrite-citations: nothing to do"; exit 0; fi

perl -CSD -Mutf8 -i -ne '
  BEGIN {
    our ($total, %per_file) = (0);
    # Notes beside the repository whose facts now live in docs/ (section → page and section).
    our %toolchain = (5 => "platform.md §1", 6 => "platform.md §3", 7 => "platform.md §2",
                      8 => "platform.md §4", 11 => "platform.md §1");
  }
  our ($total, %per_file, %toolchain);
  my $n = 0;
  # One-off fixes: citations that never resolved (a list item written as a section; a bare §).
  $n += s/as §4\.5 lines/as §4 item 5 lines/g;                       # planner.md §4, item 5
  $n += s/are normalised \(§1\)/are normalised (docs\/planner.md §1)/g;
  # Toolchain and style notes.
  $n += s{(?<![\w./-])TOOLCHAIN\.md §(\d+)\b}{exists $toolchain{$1} ? "docs/$toolchain{$1}" : $&}ge;
  $n += s{(?<![\w./-])STYLE\.md §4\b}{docs/architecture.md §4}g;
  # The spec pages: same names and section numbers in docs/.
  $n += s{(?<![\w./-])(architecture|data-model|scheduling|planner|writeback|crypto|resolvers|operations|known-issues|roadmap)\.md(?![\w-]|\.\w)}{docs/$1.md}g;
  $total += $n;
  $per_file{$ARGV} += $n if $n;
  print;
  END {
    printf STDERR "rewrite-citations: %d citation(s) rewritten in %d file(s)\n", $total, scalar(keys %per_file);
  }
' "${files[@]}"
