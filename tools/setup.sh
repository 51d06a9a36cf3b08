#!/bin/sh
# SPDX-License-Identifier: MIT
# Set up a fresh Debian 12 machine (as root) and build twilio-alertd.
#   tools/setup.sh demo   build deps, build, run `twilio-alertd demo`
#   tools/setup.sh test   + test deps, build, run the whole test suite twice:
#                         a normal build (build/) and an ASan+UBSan build (build-asan/);
#                         then the unit tests under valgrind (build/) and the fuzz
#                         targets under libFuzzer for a few seconds each (build-fuzz/)
# Safe to run again: packages already installed are kept, build folders reused.
set -eu
cd "$(dirname "$0")/.."

BUILD_DEPS="meson ninja-build pkg-config gcc libc6-dev python3 \
  libcurl4-openssl-dev ca-certificates libjansson-dev libsqlite3-dev sqlite3 \
  libssl-dev libmicrohttpd-dev libinih-dev scdoc"
# debhelper..adduser: the Debian package test builds, installs and purges the .deb;
# systemd: systemd-analyze verify on the units; man-db: the man pages render.
# chromium: the status page in a headless browser; prometheus: promtool checks /metrics.
# clang + libclang-rt-14-dev: the libFuzzer targets (tests/fuzz); clang-tools (scan-build),
# cppcheck, make: the 'static' suite; valgrind: the unit tests under memcheck.
TEST_DEPS="python3-twilio python3-aiosmtpd procps debhelper dpkg-dev adduser systemd man-db \
  chromium prometheus clang libclang-rt-14-dev clang-tools clang-format cppcheck make valgrind"

mode=${1:-}
case "$mode" in
demo) pkgs=$BUILD_DEPS ;;
test) pkgs="$BUILD_DEPS $TEST_DEPS" ;;
*) echo "usage: $0 demo|test" >&2; exit 64 ;;
esac

missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing
fi

setup() { # DIR [meson options...]
	dir=$1; shift
	if [ -f "$dir/build.ninja" ]; then
		meson setup --reconfigure "$dir" "$@" >/dev/null
	else
		rm -rf "$dir"
		meson setup "$dir" "$@" >/dev/null
	fi
	meson compile -C "$dir"
}

if [ "$mode" = demo ]; then
	setup build
	# The binary knows only the installed simulator; this one is the build's.
	TWILIO_ALERTD_SIM=$PWD/build/tests/sim/twilio-monitor-sim
	export TWILIO_ALERTD_SIM
	exec build/agent/twilio-alertd demo
fi

status=0
setup build
meson test -C build --print-errorlogs --num-processes 2 || status=1
# Every unit test under valgrind memcheck: an error or a leak fails it.
meson test -C build --setup valgrind --suite unit --print-errorlogs --num-processes 2 || status=1
setup build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
# The static analysis ran in build/ already; the fuzz seeds replay here under ASan+UBSan.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	meson test -C build-asan --print-errorlogs --num-processes 2 --no-suite bench \
	--no-suite static || status=1
# The fuzz targets under libFuzzer (clang), TWILIO_ALERTD_FUZZ_SECONDS (10) each from
# their seeds. werror off: clang warns where gcc does not (format wrappers).
(
	export CC=clang
	setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false -Dwerror=false
)
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	meson test -C build-fuzz --suite fuzz --print-errorlogs --num-processes 2 || status=1
exit $status
