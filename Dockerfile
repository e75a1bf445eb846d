# The syncscale image for distributed runs (syncscale export k8s): Node 20 slim, production dependencies only.
# Build: docker build -t <registry>/syncscale:<tag> .
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Install scripts run only where package.json's allowScripts approves them (embedded Postgres binaries).
RUN npm ci --ignore-scripts
COPY tsconfig*.json ./
COPY src ./src
COPY bin ./bin
RUN npm run build

FROM node:20-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY fixtures ./fixtures
COPY scenarios ./scenarios
# Shards and the coordinator run as an unprivileged user; results go to the mounted volume.
USER node
ENTRYPOINT ["node", "/app/bin/syncscale.js"]
CMD ["--help"]
