# Sourced by bench/peers.sh and bench/issue16.sh (not run on its own).
# peers_env: bench/.venv (gitignored) with the Python peers from PyPI, each package on its own so
# that one failure does not stop the rest; their versions go to $OUT/peers-versions.txt.
PEERS_VENV=bench/.venv
PEERS_PY="$PEERS_VENV/bin/python"
PEERS_PACKAGES=(numpy pandas scikit-learn threadpoolctl PyPortfolioOpt Riskfolio-Lib)
peers_env() {
  if [[ ! -x "$PEERS_PY" ]]; then
    python3 -m venv "$PEERS_VENV" || { echo "error: python3 -m venv failed (apt-get install python3-venv)" >&2; exit 2; }
  fi
  if ! "$PEERS_PY" -c "import numpy, pandas, sklearn, threadpoolctl, pypfopt, riskfolio" 2>/dev/null; then
    echo "installing the Python peers into $PEERS_VENV (once)" >&2
    : >"$OUT/peers-install.log"
    local p
    for p in "${PEERS_PACKAGES[@]}"; do
      if ! "$PEERS_VENV/bin/pip" install --quiet "$p" >>"$OUT/peers-install.log" 2>&1; then
        echo "warning: pip install $p failed (see $OUT/peers-install.log); its cases are skipped" >&2
      fi
    done
  fi
  "$PEERS_VENV/bin/pip" freeze 2>/dev/null |
    grep -i -E '^(numpy|pandas|scikit-learn|scipy|threadpoolctl|pyportfolioopt|riskfolio-lib|cvxpy|clarabel)==' \
      >"$OUT/peers-versions.txt" || true
}
