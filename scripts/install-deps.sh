#!/usr/bin/env bash
# Installs every Debian package YoloDeck needs to build, run and test.
# Idempotent: packages already present are skipped; uses sudo when not root.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git clang-format
  # Qt 6.4 (widgets, translations tools, SVG icons)
  qt6-base-dev qt6-base-dev-tools qt6-tools-dev qt6-tools-dev-tools qt6-l10n-tools
  libqt6svg6-dev qt6-svg-dev libgl-dev
  # Charts (GPL, hence the project licence)
  libqcustomplot-dev libqcustomplot2.1-qt6
  # LibTorch 1.13 (CPU) with its distributed engine headers, plus an optimised BLAS:
  # without it Debian's LibTorch falls back to reference BLAS (about 30x slower matmul).
  libtorch-dev libgloo-dev libopenblas-dev libopenblas0-pthread
  # oneDNN, the library LibTorch runs convolutions on: validation and predict call it directly
  # (fused Conv+SiLU, blocked layout); its CMake files need OpenCL's
  libdnnl-dev ocl-icd-opencl-dev
  # TensorBoard event files (protobuf messages); LibTorch depends on it too
  libprotobuf-dev
  # Images and data.yaml
  libopencv-dev libyaml-cpp-dev zlib1g-dev
  # Tests: offscreen/Xvfb UI tests, screenshots, the Python round trip of checkpoints
  xvfb xauth imagemagick python3 python3-torch python3-numpy
  # Tests: an independent reader of TensorBoard files (CRC-32C framing, protobuf fields)
  python3-crc32c protobuf-compiler
  # Reliability: clang's sanitizers and libFuzzer (make test-asan, test-tsan, fuzz)
  clang libclang-rt-dev llvm
  # Fonts so screenshots and the Chinese UI render
  fonts-dejavu-core fonts-noto-cjk
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
