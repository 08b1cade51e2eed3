/**
 * The accuracy-cost Pareto chart of an eval as a standalone SVG: cost per question on a log scale (x),
 * accuracy (y), one dot per system coloured by family, each family's non-decreasing convex hull as a
 * line, and the single experts labelled. Pure string building (no dependency, no fonts to load).
 */
import type { EvalReport } from "./run-eval.js";

const W = 960;
const H = 520;
// The right margin holds the legend: family names with their AIQ.
const M = { left: 64, right: 300, top: 36, bottom: 52 };
const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"];

const esc = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

export function paretoSvg(report: EvalReport, title: string): string {
  const points = report.systems.filter((s) => s.costPerQuestion > 0);
  const costs = points.map((s) => s.costPerQuestion);
  const cheapest = costs.length > 0 ? Math.min(...costs) : 1e-4;
  const dearest = costs.length > 0 ? Math.max(...costs) : 1e-2;
  const lo = Math.log10(cheapest * 0.8);
  const hi = Math.log10(Math.max(dearest * 1.25, cheapest * 10));
  const accs = report.systems.map((s) => s.accuracy);
  const yLo = Math.max(0, Math.floor((Math.min(...accs) - 0.03) * 20) / 20);
  const yHi = Math.min(1, Math.ceil((Math.max(...accs) + 0.01) * 20) / 20);
  const x = (cost: number) => M.left + ((Math.log10(cost) - lo) / (hi - lo)) * (W - M.left - M.right);
  const y = (acc: number) => H - M.bottom - ((acc - yLo) / (yHi - yLo || 1)) * (H - M.top - M.bottom);
  const families = [...new Set(report.systems.map((s) => s.family))];
  const colour = (family: string) => COLOURS[families.indexOf(family) % COLOURS.length]!;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${M.left}" y="20" font-size="14" font-weight="bold">${esc(title)}</text>`,
  ];
  // Axes and grid: decades of cost, tenths of accuracy.
  for (let e = Math.ceil(lo); e <= Math.floor(hi); e++) {
    for (const m of [1, 2, 5]) {
      const c = m * 10 ** e;
      if (Math.log10(c) < lo || Math.log10(c) > hi) continue;
      out.push(`<line x1="${x(c).toFixed(1)}" y1="${M.top}" x2="${x(c).toFixed(1)}" y2="${H - M.bottom}" stroke="#eee"/>`);
      out.push(`<text x="${x(c).toFixed(1)}" y="${H - M.bottom + 14}" text-anchor="middle">$${c >= 1e-3 ? c.toPrecision(1) : c.toExponential(0)}</text>`);
    }
  }
  for (let a = yLo; a <= yHi + 1e-9; a += 0.05) {
    out.push(`<line x1="${M.left}" y1="${y(a)}" x2="${W - M.right}" y2="${y(a)}" stroke="#eee"/>`);
    out.push(`<text x="${M.left - 6}" y="${y(a) + 4}" text-anchor="end">${a.toFixed(2)}</text>`);
  }
  out.push(`<rect x="${M.left}" y="${M.top}" width="${W - M.left - M.right}" height="${H - M.top - M.bottom}" fill="none" stroke="#444"/>`);
  out.push(`<text x="${(M.left + W - M.right) / 2}" y="${H - 14}" text-anchor="middle">cost per question (US dollars, log scale)</text>`);
  out.push(`<text transform="translate(16 ${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle">accuracy</text>`);
  for (const [family, hull] of Object.entries(report.hulls)) {
    const drawn = hull.filter((p) => p.cost > 0);
    if (drawn.length < 2 || !families.includes(family)) continue;
    out.push(`<polyline fill="none" stroke="${colour(family)}" stroke-opacity="0.6" stroke-width="1.5" points="${drawn.map((p) => `${x(p.cost).toFixed(1)},${y(p.accuracy).toFixed(1)}`).join(" ")}"/>`);
  }
  for (const s of points) {
    const cx = x(s.costPerQuestion).toFixed(1);
    const cy = y(s.accuracy).toFixed(1);
    out.push(`<circle cx="${cx}" cy="${cy}" r="4" fill="${colour(s.family)}"><title>${esc(`${s.name}: accuracy ${s.accuracy.toFixed(3)}, $${s.costPerQuestion.toPrecision(3)}/question`)}</title></circle>`);
    if (s.family === "single" || s.family === "cascade" || s.family === "oracle") out.push(`<text x="${Number(cx) + 6}" y="${Number(cy) - 5}" fill="#333">${esc(s.name.replace(/^single:/, ""))}</text>`);
  }
  families.forEach((family, i) => {
    const ly = M.top + 10 + i * 18;
    const aiq = report.aiq[family];
    out.push(`<circle cx="${W - M.right + 16}" cy="${ly}" r="4" fill="${colour(family)}"/>`);
    out.push(`<text x="${W - M.right + 26}" y="${ly + 4}">${esc(family)}${aiq === undefined ? "" : ` (AIQ ${aiq.toFixed(3)})`}</text>`);
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
