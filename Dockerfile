# conclave on Node 20. node-llama-cpp's prebuilt binaries (CPU, CUDA, Vulkan) come from npm; the
# CUDA one is used when the container is started with an NVIDIA GPU.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY bin ./bin
COPY orchestrator ./orchestrator
COPY experts ./experts
COPY skills ./skills
COPY queues ./queues
ENV NODE_ENV=production
ENTRYPOINT ["node", "bin/conclave.js"]
CMD ["models"]
