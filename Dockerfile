# Fleetcast node image (Node 22).
FROM node:22-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build
EXPOSE 3000
# npm forwards SIGTERM to the node, which finishes requests in flight and hands devices over.
CMD ["npm", "start"]
