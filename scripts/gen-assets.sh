#!/usr/bin/env bash
# Regenerates the shell completions and the man page under packaging/ from the command-line
# definition. CI fails when the checked-in files differ from what this writes.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet
bin=target/debug/fitpipe
"$bin" completions bash > packaging/completions/fitpipe.bash
"$bin" completions zsh > packaging/completions/_fitpipe
"$bin" completions fish > packaging/completions/fitpipe.fish
"$bin" man > packaging/man/man1/fitpipe.1
echo "regenerated packaging/completions and packaging/man"
