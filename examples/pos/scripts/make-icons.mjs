// Renders the app icons (public/icon-192.png, icon-512.png) without any image tool: a padlock on
// the brand colour, drawn per pixel with 4× supersampling and encoded as PNG with node:zlib.
// Run once after changing the design: node scripts/make-icons.mjs
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const BRAND = [0x0f, 0x76, 0x6e];
const WHITE = [255, 255, 255];

/** Colour at (x, y) in a 64×64 design space (same geometry as public/favicon.svg, full bleed for maskable). */
function shade(x, y) {
  const inRect = (rx, ry, w, h, r) => {
    const cx = Math.min(Math.max(x, rx + r), rx + w - r);
    const cy = Math.min(Math.max(y, ry + r), ry + h - r);
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r && x >= rx && x <= rx + w && y >= ry && y <= ry + h;
  };
  // keyhole
  if ((x - 32) ** 2 + (y - 39) ** 2 <= 16 || inRect(30.5, 40, 3, 7, 1.5)) return BRAND;
  if (inRect(16, 28, 32, 24, 5)) return WHITE;
  // shackle: the upper half of a ring (radius 10, width 5) plus two legs down to y = 28
  const d = Math.hypot(x - 32, y - 22);
  if (y <= 22 && d >= 7.5 && d <= 12.5) return WHITE;
  if (y > 22 && y <= 28 && ((x >= 19.5 && x <= 24.5) || (x >= 39.5 && x <= 44.5))) return WHITE;
  return BRAND;
}

function png(size) {
  const raw = Buffer.alloc((size * 3 + 1) * size);
  const ss = 4;
  for (let py = 0; py < size; py++) {
    raw[py * (size * 3 + 1)] = 0;
    for (let px = 0; px < size; px++) {
      const acc = [0, 0, 0];
      for (let sy = 0; sy < ss; sy++)
        for (let sx = 0; sx < ss; sx++) {
          // inset the design to 80 % so it survives a maskable crop
          const u = (((px + (sx + 0.5) / ss) / size - 0.5) / 0.8) * 64 + 32;
          const v = (((py + (sy + 0.5) / ss) / size - 0.5) / 0.8) * 64 + 32;
          const c = shade(u, v);
          for (let i = 0; i < 3; i++) acc[i] += c[i];
        }
      for (let i = 0; i < 3; i++) raw[py * (size * 3 + 1) + 1 + px * 3 + i] = Math.round(acc[i] / (ss * ss));
    }
  }
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

function crc32(buf) {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

for (const size of [192, 512]) writeFileSync(new URL(`../public/icon-${size}.png`, import.meta.url), png(size));
console.log('wrote public/icon-192.png, public/icon-512.png');
