# syntax=docker/dockerfile:1
# conclave on Node 20: one image for both the HTTP API (`node bin/conclave.js serve`) and the GPU
# workers (`node bin/conclave.js worker`); docker-compose.yml picks the command per service.
#
# There is no build step: bin/conclave.js registers tsx (a runtime dependency in package.json) and
# runs the TypeScript sources directly, so a production install is all the image needs. Not `npm ci`: the lock cannot list node-llama-cpp's optional binaries for other platforms (see .ci/run).
#
# node-llama-cpp ships its llama.cpp binaries (CPU, CUDA, Vulkan) as npm packages. The CUDA ones link
# against the CUDA runtime (libcudart + libcublas) but not the driver: the driver (libcuda.so.1) is
# injected by the NVIDIA Container Toolkit when the container is started with a GPU reservation.
# The primary CUDA binary needs CUDA 13 (host driver >= 580), the bundled fallback CUDA 12 (driver
# >= 525); install the runtime that matches your hosts, e.g. `--build-arg CUDA_VERSION=13-0`.
# Without a GPU, node-llama-cpp falls back to its CPU binary and the same image still works.
FROM node:20-bookworm-slim

ARG CUDA_VERSION=12-8
# x86_64 hosts; use .../debian12/sbsa for ARM64 servers.
ARG CUDA_REPO=https://developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64

SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# CUDA runtime libraries from NVIDIA's Debian 12 repository (the keyring package sets up the signed
# source), plus libgomp for llama.cpp's CPU backends. curl is only needed for the keyring download.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl libgomp1 \
 && curl -fsSL -o /tmp/cuda-keyring.deb "${CUDA_REPO}/cuda-keyring_1.1-1_all.deb" \
 && dpkg -i /tmp/cuda-keyring.deb \
 && rm /tmp/cuda-keyring.deb \
 && apt-get update \
 && apt-get install -y --no-install-recommends "cuda-cudart-${CUDA_VERSION}" "libcublas-${CUDA_VERSION}" \
 && echo "/usr/local/cuda-${CUDA_VERSION//-/.}/targets/x86_64-linux/lib" > /etc/ld.so.conf.d/zz-conclave-cuda.conf \
 && printf '%s\n' /usr/local/nvidia/lib /usr/local/nvidia/lib64 > /etc/ld.so.conf.d/nvidia.conf \
 && ldconfig \
 && apt-get purge -y --autoremove curl \
 && rm -rf /var/lib/apt/lists/*

# What the NVIDIA Container Toolkit should expose: CUDA compute (+ nvidia-smi for debugging).
ENV NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility

# Mount points of the compose volumes, created owned by `node` so that a fresh named volume inherits
# that ownership (Docker copies the image directory's owner into an empty named volume).
RUN mkdir -p /app /models /data/batches \
 && chown node:node /app /models /data /data/batches

WORKDIR /app
# Install as the unprivileged user so node_modules is writable by the process that runs (node-llama-
# cpp may write build metadata next to its binaries) without a second chown'ed copy of the layer.
USER node
COPY --chown=node:node package.json package-lock.json ./
RUN npm install --omit=dev --no-audit --no-fund && npm cache clean --force

# The runtime sources: the CLI entry, and everything it imports (TypeScript, run through tsx).
COPY --chown=node:node bin ./bin
COPY --chown=node:node kernel ./kernel
COPY --chown=node:node orchestrator ./orchestrator
COPY --chown=node:node experts ./experts
COPY --chown=node:node skills ./skills
COPY --chown=node:node queues ./queues
COPY --chown=node:node zoo ./zoo
COPY --chown=node:node conclave.example.yaml ./

# CONCLAVE_CONFIG is left to the runtime (compose sets /config/conclave.yaml); without it the CLI
# uses its embedded demo pool, written under /app/models.
ENV NODE_ENV=production

# No ENTRYPOINT: compose (or `docker run IMAGE node bin/conclave.js <command>`) gives the whole
# command line. The default serves the OpenAI-compatible API.
EXPOSE 8080
CMD ["node", "bin/conclave.js", "serve"]
