#!/usr/bin/env bash
# Verifies a training device before agents use it (docs/deploy.md, "Adding GPU nodes"):
#   DEVICE=cuda infra/gpu/verify.sh     on a GPU host (the default), after installing the driver
#   DEVICE=cpu  infra/gpu/verify.sh     the same checks on the CPU (CI runs this)
# It builds the bench with the matching TorchSharp backend (-p:TorchBackend=cuda for cuda), then runs the bench's
# `device` scenario: the golden vit-tiny-ci logits on the device against two independent implementations (to 1e-4;
# 3e-2 with bf16 products), every classification method 50 steps on the device (on cuda in fp32 and in bf16) (all tensors on it, finite loss, images/s, peak memory), and on
# cuda the peak device memory read from nvidia-smi. Results: bench/results/device-<device>.md/.json (or
# $ADAPTERLAB_BENCH_RESULTS). Exit 0 only when every check passed. BENCH_DLL=<path> skips the build (CI passes its own).
# Needs the .NET SDK; an offline GPU host may point ADAPTERLAB_LIBTORCH_DIR at an installed libtorch 2.10.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
DEVICE="${DEVICE:-cuda}"
case "$DEVICE" in cpu) backend=cpu ;; cuda) backend=cuda ;; *) echo "verify: DEVICE must be cpu or cuda, not '$DEVICE'" >&2; exit 2 ;; esac
results="${ADAPTERLAB_BENCH_RESULTS:-$PWD/bench/results}"
mkdir -p "$results"

dll="${BENCH_DLL:-}"
if [[ -z "$dll" ]]; then
  echo "verify: building the bench (TorchBackend=$backend)"
  dotnet build bench/AdapterLab.Bench/AdapterLab.Bench.csproj -c Release -p:TorchBackend="$backend" -v q --nologo
  dll="bench/AdapterLab.Bench/bin/Release/net10.0/linux-x64/AdapterLab.Bench.dll"
fi

sampler=""
peak_file="$(mktemp)"
if [[ "$DEVICE" == cuda ]] && command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  # Device memory as the driver sees it, every half second, while the checks run.
  ( while :; do nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits | sort -n | tail -1 >> "$peak_file"; sleep 0.5; done ) &
  sampler=$!
fi
status=0
DEVICE="$DEVICE" ADAPTERLAB_BENCH_RESULTS="$results" dotnet "$dll" device "$@" || status=$?
if [[ -n "$sampler" ]]; then
  kill "$sampler" 2>/dev/null || true
  peak="$(sort -n "$peak_file" | tail -1)"
  echo "verify: peak device memory ${peak:-?} MiB (nvidia-smi)"
  printf -- '- peak device memory while verifying: %s MiB (nvidia-smi)\n' "${peak:-?}" >> "$results/device-$DEVICE.md"
fi
rm -f "$peak_file"
if [[ $status -eq 0 ]]; then echo "verify: $DEVICE passed (bench/results/device-$DEVICE.md)"; else echo "verify: $DEVICE FAILED (see above)" >&2; fi
exit $status
