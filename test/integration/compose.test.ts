/**
 * docker-compose.yml cannot be run on the CI machines (no Docker engine), so this checks its shape:
 * the production topology, the health gates between containers and the NATS credentials.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { parse } from "yaml";
import { ALL_SERVICES, resolveServiceNames } from "../../services/index.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const APP_NODES = ["api-1", "api-2", "realtime"];
const API_NODES = ["api-1", "api-2"];
const INFRA = ["nats", "mongo", "redis"];

interface ComposeService {
	image?: string;
	command?: string | string[];
	environment?: Record<string, string | number | boolean | null> | string[];
	volumes?: (string | { source?: string; target?: string })[];
	ports?: (string | { target?: number; published?: string | number })[];
	healthcheck?: { test?: string | string[]; disable?: boolean };
	depends_on?: string[] | Record<string, { condition?: string }>;
}

interface ComposeFile {
	services: Record<string, ComposeService>;
	volumes?: Record<string, unknown>;
}

function loadCompose(): ComposeFile {
	const text = readFileSync(resolve(ROOT, "docker-compose.yml"), "utf8");
	// docker compose resolves `<<` merge keys, which YAML 1.2 leaves off by default.
	return parse(text, { merge: true }) as ComposeFile;
}

function environmentOf(service: ComposeService): Record<string, string> {
	const env = service.environment ?? {};
	if (Array.isArray(env)) {
		return Object.fromEntries(env.map(entry => {
			const at = entry.indexOf("=");
			return at < 0 ? [entry, ""] : [entry.slice(0, at), entry.slice(at + 1)];
		}));
	}
	return Object.fromEntries(Object.entries(env).map(([key, value]) => [key, value === null ? "" : String(value)]));
}

/** Compose-style interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}. */
function interpolate(value: string, env: Record<string, string>): string {
	return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g, (_match, name: string, op?: string, arg?: string) => {
		const set = env[name];
		const usable = op?.startsWith(":") ? set !== undefined && set !== "" : set !== undefined;
		if (usable) return set!;
		if (op?.endsWith("?")) throw new Error(`required variable ${name} is missing: ${arg}`);
		return op?.endsWith("-") ? arg ?? "" : "";
	});
}

function commandWords(service: ComposeService): string[] {
	const command = service.command ?? [];
	return Array.isArray(command) ? command : command.split(/\s+/).filter(Boolean);
}

function healthcheckText(service: ComposeService): string {
	const test = service.healthcheck?.test ?? [];
	return Array.isArray(test) ? test.join(" ") : test;
}

function publishedPorts(service: ComposeService): string[] {
	return (service.ports ?? []).map(port => (typeof port === "string" ? port : `${port.published}:${port.target}`));
}

/** Host file mounted at `target` in the container, relative to the repository root. */
function mountedFile(service: ComposeService, target: string): string | undefined {
	for (const volume of service.volumes ?? []) {
		if (typeof volume === "string") {
			const [source, mountTarget] = volume.split(":");
			if (mountTarget === target) return source;
		} else if (volume.target === target) {
			return volume.source;
		}
	}
	return undefined;
}

describe("docker compose", () => {
	let compose: ComposeFile;

	before(() => {
		compose = loadCompose();
	});

	it("parses into a services map", () => {
		expect(compose).to.be.an("object");
		expect(compose.services).to.be.an("object");
	});

	it("defines nats, mongo, redis, two api nodes and a realtime node", () => {
		expect(Object.keys(compose.services)).to.include.members([...INFRA, ...APP_NODES]);
		// Pinned to a release, not a moving tag.
		expect(compose.services.nats.image).to.match(/^nats:2\.10\.\d+-alpine$/);
		expect(compose.services.mongo.image).to.match(/^mongo:7\.\d+\.\d+$/);
		expect(compose.services.redis.image).to.match(/^redis:7\.\d+\.\d+(-alpine)?$/);
	});

	it("runs MongoDB as a replica set that its healthcheck initiates, and the apps connect to it as one", () => {
		expect(commandWords(compose.services.mongo)).to.include.members(["--replSet", "rs0"]);
		expect(healthcheckText(compose.services.mongo)).to.contain("rs.initiate");
		for (const name of APP_NODES) expect(environmentOf(compose.services[name]).MONGO_URL, name).to.match(/[?&]replicaSet=rs0\b/);
	});

	it("builds the app nodes from the Dockerfile on Node 24, with no host folder or node_modules mounted", () => {
		const dockerfile = readFileSync(resolve(ROOT, "Dockerfile"), "utf8");
		expect(dockerfile).to.match(/^FROM node:24\.\d+\.\d+-bookworm-slim$/m);
		expect(dockerfile).to.match(/^RUN npm ci --omit=dev/m);
		expect(readFileSync(resolve(ROOT, ".dockerignore"), "utf8").split("\n")).to.include("node_modules");
		for (const name of APP_NODES) {
			const service = compose.services[name] as ComposeService & { build?: unknown };
			expect(service.build, `${name} build`).to.equal(".");
			expect(service.image, `${name} image`).to.match(/^learning-platform:\d+\.\d+\.\d+$/);
			expect(service.volumes ?? [], `${name} mounts`).to.deep.equal([]);
		}
	});

	it("gives every service an enabled healthcheck", () => {
		for (const [name, service] of Object.entries(compose.services)) {
			expect(service.healthcheck, `${name} healthcheck`).to.be.an("object");
			expect(service.healthcheck!.disable, `${name} healthcheck disabled`).to.not.equal(true);
			expect(healthcheckText(service), `${name} healthcheck test`).to.match(/^CMD(-SHELL)? \S/);
		}
		expect(healthcheckText(compose.services.nats)).to.contain(":8222/healthz");
		expect(healthcheckText(compose.services.mongo)).to.contain("mongosh").and.to.contain("ping");
		expect(healthcheckText(compose.services.redis)).to.contain("redis-cli ping");
		for (const name of API_NODES) {
			expect(healthcheckText(compose.services[name]), `${name} healthcheck`).to.contain(":8080/health/ready");
		}
	});

	it("configures the app nodes for MongoDB, NATS, Redis and a required JWT secret", () => {
		for (const name of APP_NODES) {
			const env = environmentOf(compose.services[name]);
			expect(env.NODE_ENV, `${name} NODE_ENV`).to.equal("production");
			expect(env.MONGO_URL, `${name} MONGO_URL`).to.match(/^mongodb:\/\/mongo:27017\/\w+/);
			expect(env.NATS_URL, `${name} NATS_URL`).to.match(/^nats:\/\/.+@nats:4222$/);
			expect(env.REDIS_URL, `${name} REDIS_URL`).to.equal("redis://redis:6379");
			expect(env.JWT_SECRET, `${name} JWT_SECRET`).to.match(/^\$\{JWT_SECRET:\?[^}]*\}$/);
			expect(() => interpolate(env.JWT_SECRET, {}), `${name} starts without JWT_SECRET`).to.throw(/JWT_SECRET/);
		}
	});

	it("hands the app nodes the settings production requires (mail, links, visio, push), refusing to start without them", () => {
		for (const name of APP_NODES) {
			const env = environmentOf(compose.services[name]);
			expect(env.LIVEKIT_URL, `${name} LIVEKIT_URL`).to.equal("http://livekit:7880");
			for (const variable of ["PUBLIC_URL", "SMTP_URL", "LIVEKIT_API_SECRET", "VAPID_PUBLIC_KEY", "VAPID_PRIVATE_KEY"]) {
				expect(() => interpolate(env[variable] ?? "", {}), `${name} starts without ${variable}`).to.throw(new RegExp(variable));
			}
		}
		const livekit = environmentOf(compose.services.livekit);
		expect(interpolate(livekit.LIVEKIT_KEYS, { LIVEKIT_API_SECRET: "s".repeat(32) })).to.equal(`lp-livekit: ${"s".repeat(32)}`);
	});

	it("runs every service but realtime on the api nodes, and realtime on its own node", () => {
		const expected = ALL_SERVICES.filter(name => name !== "realtime");
		for (const name of API_NODES) {
			const services = resolveServiceNames(environmentOf(compose.services[name]).SERVICES?.split(",").map(s => s.trim()));
			expect(services, `${name} SERVICES`).to.have.members(expected);
			expect(publishedPorts(compose.services[name]).some(port => port.endsWith(":8080")), `${name} port 8080`).to.equal(true);
		}
		expect(resolveServiceNames(environmentOf(compose.services.realtime).SERVICES?.split(","))).to.deep.equal(["realtime"]);
		expect(publishedPorts(compose.services.realtime)).to.include("2567:2567");
	});

	it("makes NATS require the credentials the apps connect with", () => {
		const nats = compose.services.nats;
		const words = commandWords(nats);
		const configFlag = words.findIndex(word => word === "--config" || word === "-c");
		expect(configFlag, "nats is started with --config").to.be.greaterThan(-1);
		const configSource = mountedFile(nats, words[configFlag + 1]);
		expect(configSource, "nats config file is mounted from the repository").to.be.a("string");

		const config = readFileSync(resolve(ROOT, configSource!), "utf8").replace(/#.*$/gm, "");
		expect(config).to.match(/^\s*authorization\s*\{[^}]*user\s*:\s*\$NATS_USER[^}]*\}/m);
		expect(config).to.match(/^\s*authorization\s*\{[^}]*password\s*:\s*\$NATS_PASSWORD[^}]*\}/m);
		expect(config).to.match(/^\s*jetstream\s*\{/m);

		// With no variables set, the defaults on both sides must still agree.
		const natsEnv = environmentOf(nats);
		const user = interpolate(natsEnv.NATS_USER ?? "", {});
		const password = interpolate(natsEnv.NATS_PASSWORD ?? "", {});
		expect(user, "NATS_USER default").to.not.equal("");
		expect(password, "NATS_PASSWORD default").to.not.equal("");
		for (const name of APP_NODES) {
			const url = new URL(interpolate(environmentOf(compose.services[name]).NATS_URL, {}));
			expect(url.hostname, `${name} NATS host`).to.equal("nats");
			expect(decodeURIComponent(url.username), `${name} NATS user`).to.equal(user);
			expect(decodeURIComponent(url.password), `${name} NATS password`).to.equal(password);
		}

		// Values set in the environment flow to both the server and the apps.
		const custom = { NATS_USER: "svc", NATS_PASSWORD: "s3cret-value" };
		expect(interpolate(natsEnv.NATS_PASSWORD, custom)).to.equal("s3cret-value");
		const customUrl = new URL(interpolate(environmentOf(compose.services["api-1"]).NATS_URL, custom));
		expect([customUrl.username, customUrl.password]).to.deep.equal(["svc", "s3cret-value"]);
	});

	it("starts the app nodes only once nats, mongo and redis are healthy", () => {
		for (const name of APP_NODES) {
			const dependsOn = compose.services[name].depends_on;
			expect(dependsOn, `${name} depends_on`).to.be.an("object").and.not.be.an("array");
			for (const infra of INFRA) {
				const condition = (dependsOn as Record<string, { condition?: string }>)[infra]?.condition;
				expect(condition, `${name} waits for ${infra}`).to.equal("service_healthy");
			}
		}
	});

	it("keeps MongoDB and JetStream data in named volumes", () => {
		const volumes = Object.keys(compose.volumes ?? {});
		const mongoData = mountedFile(compose.services.mongo, "/data/db");
		const natsData = mountedFile(compose.services.nats, "/data/jetstream");
		expect(mongoData, "mongo data volume").to.be.a("string");
		expect(natsData, "nats JetStream volume").to.be.a("string");
		expect(volumes).to.include.members([mongoData!, natsData!]);
	});
});
