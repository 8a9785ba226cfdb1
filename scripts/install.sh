#!/usr/bin/env bash
# Installs advisor under PREFIX: the binary, its man pages and shell completions where the shells
# look for them. `make install [PREFIX=/usr/local]` builds the release binary and the man pages
# (swift-argument-parser's generate-manual plugin) first, then runs this.
#   scripts/install.sh PREFIX [BINARY] [MANDIR_SOURCE]
#   scripts/install.sh --uninstall PREFIX
set -euo pipefail
if [ "${1:-}" = "--uninstall" ]; then
  prefix=${2:?usage: install.sh --uninstall PREFIX}
  rm -f "$prefix/bin/advisor" "$prefix"/share/man/man1/advisor.*1 \
    "$prefix/share/bash-completion/completions/advisor" "$prefix/share/zsh/site-functions/_advisor" \
    "$prefix/share/fish/vendor_completions.d/advisor.fish"
  echo "removed advisor from $prefix"
  exit 0
fi
prefix=${1:?usage: install.sh PREFIX [BINARY] [MANDIR_SOURCE]}
binary=${2:-.build/release/advisor}
man=${3:-.build/plugins/GenerateManual/outputs/advisor}
[ -x "$binary" ] || { echo "install: no binary at $binary (run make release)" >&2; exit 2; }
install -d "$prefix/bin" "$prefix/share/man/man1" "$prefix/share/bash-completion/completions" \
  "$prefix/share/zsh/site-functions" "$prefix/share/fish/vendor_completions.d"
install -m 755 "$binary" "$prefix/bin/advisor"
if compgen -G "$man/*.1" >/dev/null; then
  install -m 644 "$man"/*.1 "$prefix/share/man/man1/"
else
  echo "install: no man pages in $man (make install generates them); skipped" >&2
fi
"$prefix/bin/advisor" --generate-completion-script bash > "$prefix/share/bash-completion/completions/advisor"
"$prefix/bin/advisor" --generate-completion-script zsh > "$prefix/share/zsh/site-functions/_advisor"
"$prefix/bin/advisor" --generate-completion-script fish > "$prefix/share/fish/vendor_completions.d/advisor.fish"
echo "installed advisor $("$prefix/bin/advisor" --version) in $prefix (man: $prefix/share/man/man1; completions: bash, zsh, fish)"
