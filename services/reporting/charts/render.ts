/**
 * Server-side charts: a Vega-Lite spec compiled with `vega-lite` and rendered to SVG by `vega` (no browser, no
 * canvas: the headless "none" renderer), then made accessible (a <title> and a <desc> naming the figures, with
 * role="img" and aria-labelledby on the root) and, on request, rasterised to PNG by sharp (libvips and librsvg,
 * prebuilt: nothing fetched at run time; text in the system's fonts).
 */
import type { TopLevelSpec } from "vega-lite";

// Loaded on the first chart: a node that never draws one (or a test run) does not pay for vega and libvips.
const libs = () => Promise.all([import("vega"), import("vega-lite")]);

export interface ChartDoc {
	/** Shown as the chart's title and its accessible name. */
	title: string;
	/** Period and time zone, shown under the title. */
	subtitle: string;
	/** What the chart shows in words (the accessible description). */
	description: string;
	spec: Record<string, unknown>;
}

const escapeXml = (s: string) => s.replace(/[<>&"']/g, c => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c]!);

/** Base config: readable sizes, system sans-serif fonts (DejaVu on Debian), white background. */
const CONFIG = { font: "DejaVu Sans, Liberation Sans, sans-serif", background: "white", axis: { labelFontSize: 11, titleFontSize: 12 }, title: { fontSize: 15, subtitleFontSize: 12, anchor: "start" }, legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 260, titleLimit: 260 } };

export async function renderSvg(chart: ChartDoc): Promise<string> {
	const [vega, { compile }] = await libs();
	const spec = { $schema: "https://vega.github.io/schema/vega-lite/v6.json", config: CONFIG, ...chart.spec, title: { text: chart.title, subtitle: chart.subtitle }, description: chart.description } as TopLevelSpec;
	const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
	try {
		const svg = await view.toSVG();
		return accessible(svg, chart);
	} finally {
		view.finalize();
	}
}

/** Adds <title> and <desc> as the root's first children, named by aria-labelledby, and role="img". */
export function accessible(svg: string, chart: Pick<ChartDoc, "title" | "subtitle" | "description">): string {
	const open = svg.indexOf(">", svg.indexOf("<svg"));
	const tag = svg
		.slice(0, open)
		.replace(/\s(role|aria-label|aria-labelledby|aria-roledescription)="[^"]*"/g, "")
		.concat(' role="img" aria-labelledby="chart-title chart-desc"');
	return `${tag}><title id="chart-title">${escapeXml(`${chart.title} (${chart.subtitle})`)}</title><desc id="chart-desc">${escapeXml(chart.description)}</desc>${svg.slice(open + 1)}`;
}

export async function renderPng(chart: ChartDoc, density = 144): Promise<Buffer> {
	const { default: sharp } = await import("sharp");
	return sharp(Buffer.from(await renderSvg(chart)), { density }).png().toBuffer();
}
