# The platform's image: the same code as `npm start`, one image for every node (SERVICES picks the role).
# Built by docker-compose.yml; dependencies are installed inside the image (linux-x64 native modules),
# never mounted from the host.
# The browser client (web/), built in a stage of its own: its build tools (Vite, TypeScript) stay out of
# the platform's image, which only gets web/dist.
FROM node:24.21.0-bookworm-slim AS web-client
WORKDIR /app
COPY package.json package-lock.json ./
COPY web/package.json ./web/
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY . .
RUN node --import tsx scripts/web-client.ts --force

FROM node:24.21.0-bookworm-slim

ENV NODE_ENV=production
WORKDIR /app

# Dependencies first, so a code change does not reinstall them. Dev dependencies (tests, the Node
# binary that `npm start` uses on hosts with an older node) stay out.
COPY package.json package-lock.json ./
COPY web/package.json ./web/
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY config ./config
COPY models ./models
COPY rooms ./rooms
COPY services ./services
COPY scripts ./scripts
COPY moleculer.config.ts tsconfig.json ./
COPY --from=web-client /app/web/dist ./web/dist

USER node
EXPOSE 8080 2567
# Node itself is PID 1's child-free entry: SIGTERM from `docker stop` reaches the platform directly.
CMD ["node", "--import", "tsx", "scripts/start.ts"]
