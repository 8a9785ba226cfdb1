# Sourced by the bench scripts (not run on its own).
# debian_install PACKAGE: apt-get install (with sudo unless root), and when that fails (a fresh
# machine's package index is often empty: "Unable to locate package") apt-get update and once more.
debian_install() {
  local sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  "${sudo[@]}" apt-get install -y "$1" >&2 || { "${sudo[@]}" apt-get update -qq >&2 && "${sudo[@]}" apt-get install -y "$1" >&2; }
}

# require_tool PATH-OR-COMMAND PACKAGE: the tool, installed from Debian when it is missing; exits
# with 2 and one line naming the package when it still cannot be run. Every bench script asks
# for its tools this way, so that none reports a case FAILED on a new machine for want of one.
require_tool() {
  local tool=$1 package=$2
  command -v "$tool" >/dev/null && return 0
  echo "$tool is missing; installing $package from Debian" >&2
  debian_install "$package" || true
  command -v "$tool" >/dev/null || { echo "error: $tool could not be installed (apt-get install $package)" >&2; exit 2; }
}
