/**
 * rt-tests 2.4's hwlatdetect report (real capture: test/fixtures/rtla/hwlatdetect-2.4-tcg.txt):
 *   hwlatdetect:  test duration 5 seconds … Latency threshold: 10us / Sample window: 1000000us / width …
 *   Max Latency: 53658us            ("Below threshold" when nothing crossed it)
 *   Samples recorded: 5
 *   Samples exceeding threshold: 5
 *   [N SMIs occured on cpu i … SMIs during run: N]   (only where the MSR driver is loaded)
 *   ts: 1796160073.079756795, inner:33546, outer:21827     (one per sample, unless --watch printed them)
 * Each sample is a window in which the hwlat thread spun with interrupts off and still saw a gap: latency
 * the OS did not cause (SMIs, the hypervisor, firmware).
 */
import { badOutput } from "../parse/common.js";

export interface HwlatSample {
  ts: string;
  innerUs: number;
  outerUs: number;
}

export interface HwlatReport {
  durationS: number | null;
  thresholdUs: number | null;
  windowUs: number | null;
  widthUs: number | null;
  /** null when hwlatdetect said "Below threshold". */
  maxUs: number | null;
  samplesRecorded: number;
  samplesExceeding: number;
  smis: number | null;
  samples: HwlatSample[];
}

export function parseHwlatdetect(name: string, text: string): HwlatReport {
  const expected = "hwlatdetect output (parameters, 'Max Latency:', 'Samples recorded:')";
  const num = (re: RegExp): number | null => {
    const m = re.exec(text);
    return m ? Number(m[1]) : null;
  };
  if (!/^hwlatdetect:\s+test duration/m.test(text))
    throw badOutput(name, "no 'hwlatdetect: test duration' line", expected);
  const recorded = num(/^Samples recorded:\s*(\d+)/m);
  const exceeding = num(/^Samples exceeding threshold:\s*(\d+)/m);
  if (recorded === null || exceeding === null)
    throw badOutput(name, "truncated: no 'Samples recorded:' line", expected);
  const below = /^Max Latency:\s*Below threshold/m.test(text);
  const max = num(/^Max Latency:\s*(\d+)us/m);
  if (!below && max === null) throw badOutput(name, "no 'Max Latency:' line", expected);
  const samples = [...text.matchAll(/^ts:\s*(\S+?),\s*inner:(\d+),\s*outer:(\d+)/gm)].map((m) => ({
    ts: m[1]!,
    innerUs: Number(m[2]),
    outerUs: Number(m[3]),
  }));
  return {
    durationS: num(/test duration (\d+) seconds/),
    thresholdUs: num(/Latency threshold:\s*(\d+)us/),
    windowUs: num(/Sample window:\s*(\d+)us/),
    widthUs: num(/Sample width:\s*(\d+)us/),
    maxUs: below ? null : max,
    samplesRecorded: recorded,
    samplesExceeding: exceeding,
    smis: num(/^SMIs during run:\s*(\d+)/m),
    samples,
  };
}
