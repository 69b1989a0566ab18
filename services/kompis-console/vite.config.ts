import { defineConfig } from "vite";

// The console is served by kompisd from `dist/` (KOMPIS_CONSOLE_DIR), same-origin with
// the gRPC-Web API. `npm run dev` proxies the API to a kompisd on KOMPIS_GRPC_URL.
export default defineConfig({
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false },
  server: {
    proxy: {
      "/kompis.v1.": process.env.KOMPIS_GRPC_URL ?? "http://127.0.0.1:50051",
      "/console/dev-sign-in": process.env.KOMPIS_GRPC_URL ?? "http://127.0.0.1:50051",
    },
  },
  test: { include: ["src/**/*.test.ts"], environment: "node" },
});
