# Sourced by the bench scripts (not run on its own).
# debian_install PACKAGE: apt-get install (with sudo unless root), and when that fails (a fresh
# machine's package index is often empty: "Unable to locate package") apt-get update and once more.
debian_install() {
  local sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  "${sudo[@]}" apt-get install -y "$1" >&2 || { "${sudo[@]}" apt-get update -qq >&2 && "${sudo[@]}" apt-get install -y "$1" >&2; }
}
