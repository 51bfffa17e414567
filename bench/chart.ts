/** A small SVG line chart for benchmark results (no dependency; readable in any browser). */
export interface Series {
  readonly name: string;
  readonly points: readonly { readonly x: number; readonly y: number }[];
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e'];
const escape = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function lineChart(options: {
  readonly title: string;
  readonly series: readonly Series[];
  readonly logX?: boolean;
}): string {
  const width = 720;
  const height = 400;
  const margin = { left: 70, right: 200, top: 40, bottom: 50 };
  const points = options.series.flatMap((s) => s.points);
  const xs = points.map((p) => (options.logX === true ? Math.log10(p.x) : p.x));
  const [xMin, xMax] = [Math.min(...xs), Math.max(...xs)];
  const yMax = Math.max(1, ...points.map((p) => p.y)) * 1.1;
  const sx = (x: number): number => {
    const v = options.logX === true ? Math.log10(x) : x;
    return (
      margin.left +
      ((v - xMin) / Math.max(xMax - xMin, 1e-9)) * (width - margin.left - margin.right)
    );
  };
  const sy = (y: number): number =>
    height - margin.bottom - (y / yMax) * (height - margin.top - margin.bottom);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${String(width)}" height="${String(height)}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${String(margin.left)}" y="24" font-size="15">${escape(options.title)}</text>`,
    `<line x1="${String(margin.left)}" y1="${String(height - margin.bottom)}" x2="${String(width - margin.right)}" y2="${String(height - margin.bottom)}" stroke="black"/>`,
    `<line x1="${String(margin.left)}" y1="${String(margin.top)}" x2="${String(margin.left)}" y2="${String(height - margin.bottom)}" stroke="black"/>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const y = (yMax / 4) * i;
    parts.push(
      `<text x="${String(margin.left - 8)}" y="${String(sy(y) + 4)}" text-anchor="end">${y.toFixed(0)}</text>`,
      `<line x1="${String(margin.left)}" y1="${String(sy(y))}" x2="${String(width - margin.right)}" y2="${String(sy(y))}" stroke="#ddd"/>`,
    );
  }
  for (const x of [...new Set(points.map((p) => p.x))]) {
    parts.push(
      `<text x="${String(sx(x))}" y="${String(height - margin.bottom + 18)}" text-anchor="middle">${x.toLocaleString('en-US')}</text>`,
    );
  }
  options.series.forEach((series, i) => {
    const color = COLORS[i % COLORS.length] ?? 'black';
    const path = series.points
      .map((p, j) => `${j === 0 ? 'M' : 'L'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`)
      .join(' ');
    parts.push(`<path d="${path}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const p of series.points)
      parts.push(
        `<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="3" fill="${color}"/>`,
      );
    parts.push(
      `<rect x="${String(width - margin.right + 12)}" y="${String(margin.top + i * 20)}" width="12" height="12" fill="${color}"/>`,
      `<text x="${String(width - margin.right + 30)}" y="${String(margin.top + i * 20 + 10)}">${escape(series.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
