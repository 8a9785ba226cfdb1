#!/bin/sh
# Gate an order on advisor's pre-trade check: place it only when the check passes.
#   examples/gate-order.sh BTC buy 0.25 52600
# Exit codes of advisor check: 0 passed, 1 an order failed (report printed first), 2 could not run, 64 usage.
ADVISOR=${ADVISOR:-.build/release/advisor}
instrument=$1 side=$2 quantity=$3 stop=$4

report=$("$ADVISOR" check --instrument "$instrument" --side "$side" --quantity "$quantity" --stop "$stop" --regime volatile)
status=$?
case $status in
  0) echo "PASS: placing $side $quantity $instrument (stop $stop)"
     # place_order "$instrument" "$side" "$quantity" "$stop"   <- your order-management call here
     ;;
  1) echo "REJECTED: $side $quantity $instrument"
     echo "$report" | grep '^  FAIL'
     ;;
  *) echo "advisor could not run (exit $status); not trading" >&2 ;;
esac
exit $status
