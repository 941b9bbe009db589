/**
 * The default boot entry on Debian-like systems: GRUB_DEFAULT in /etc/default/grub names the RT kernel's entry by
 * its title path, as grub-mkconfig's 10_linux writes it ("Advanced options for Debian GNU/Linux>Debian GNU/Linux,
 * with Linux 6.1.0-57-rt-amd64"); the other kernels stay in that submenu as fallbacks. Pure text functions.
 */

const LINE = /^GRUB_DEFAULT=(.*)$/;

/** GRUB_DEFAULT's value (quotes removed), or null when the file does not set it (GRUB then boots entry 0). */
export function grubDefault(text: string): string | null {
  let found: string | null = null;
  for (const line of text.split("\n")) {
    const m = LINE.exec(line.trim());
    if (m) found = m[1]!.trim().replace(/^(["'])(.*)\1$/, "$2");
  }
  return found;
}

/**
 * The title 10_linux gives a kernel's entry. Its OS name is "$GRUB_DISTRIBUTOR GNU/Linux"; Debian's file sets
 * GRUB_DISTRIBUTOR to `lsb_release -i -s || echo Debian`, which is the os-release NAME's first word here.
 */
export function grubEntryTitle(text: string, distributorFallback: string, release: string): string {
  const m = /^GRUB_DISTRIBUTOR=(["']?)([^"'`$]*)\1\s*$/m.exec(text);
  const distributor = m && m[2]!.trim() !== "" ? m[2]!.trim() : distributorFallback;
  const os = `${distributor} GNU/Linux`;
  return `Advanced options for ${os}>${os}, with Linux ${release}`;
}

/** The file with GRUB_DEFAULT set to `value` (the last assignment replaced, or one appended). */
export function setGrubDefault(text: string, value: string): string {
  const line = `GRUB_DEFAULT="${value.replace(/(["\\$`])/g, "\\$1")}"`;
  const lines = text.split("\n");
  let last = -1;
  lines.forEach((l, i) => {
    if (LINE.test(l.trim())) last = i;
  });
  if (last < 0) return `${text.replace(/\n?$/, "\n")}${line}\n`;
  lines[last] = line;
  return lines.join("\n");
}

/** Debian's distributor name for a distribution id (debian → Debian, ubuntu → Ubuntu). */
export function distributorOf(id: string): string {
  return id.charAt(0).toUpperCase() + id.slice(1);
}
