#!/usr/bin/env bash
# One shot on a machine with a GPU (Linux, Debian/Ubuntu): installs the Vulkan loader and drivers that Dawn
# (the `webgpu` package) needs, shows the Vulkan devices, then runs the benchmark with the WebGPU columns on
# cases c and d against PyTorch on the CPU (when python3-torch is installed). From the repository root:
#   bash bench/gpu.sh [more bench options, e.g. --quick]       BENCH_CASES=a_lstm_hello,c_lstm_long bash bench/gpu.sh
# UNROLL_GPU_PEAK_TFLOPS=<fp32 peak> sets the peak for GPUs that bench/engine.ts does not know.
set -euo pipefail
cd "$(dirname "$0")/.."

if command -v apt-get >/dev/null; then
  # Offline machines keep what they have: the loader may already be there.
  { apt-get update -qq && apt-get install -y -qq libvulkan1 mesa-vulkan-drivers vulkan-tools >/dev/null; } || echo "== apt-get failed (offline?): using the Vulkan libraries present"
fi
# NVIDIA's driver ships its Vulkan ICD inside libGLX_nvidia.so.0; containers often mount the library without
# the JSON manifest that points the Vulkan loader at it.
if command -v nvidia-smi >/dev/null && ! ls /usr/share/vulkan/icd.d/nvidia_icd*.json /etc/vulkan/icd.d/nvidia_icd*.json >/dev/null 2>&1; then
  lib=$(ldconfig -p | awk '/libGLX_nvidia\.so\.0/ { print $NF; exit }')
  if [[ -n "$lib" ]]; then
    mkdir -p /etc/vulkan/icd.d
    printf '{"file_format_version": "1.0.0", "ICD": {"library_path": "%s", "api_version": "1.3.0"}}\n' "$lib" >/etc/vulkan/icd.d/nvidia_icd.json
    echo "== wrote /etc/vulkan/icd.d/nvidia_icd.json for $lib"
  fi
fi
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
command -v vulkaninfo >/dev/null && { vulkaninfo --summary 2>/dev/null | grep -E "deviceName|driverInfo|apiVersion" || true; }

[[ -d node_modules/webgpu && -d node_modules/@tensorflow/tfjs-backend-webgpu ]] || npm ci --no-audit --no-fund
node esbuild.mjs --bench
node out/bench/engine.js --cases "${BENCH_CASES:-c_lstm_long,d_lstm_big}" "$@"
