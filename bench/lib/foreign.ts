/**
 * How much of the machine other processes used while a step ran: busy
 * jiffies of all CPUs from `/proc/stat` minus this process's own
 * (`/proc/self/stat`, every thread). Niced processes count too: they yield
 * the CPU to a measurement but not the memory bandwidth and caches they
 * share with it on a free core. Linux only; elsewhere the readings are null and nothing
 * is filtered. Resolution: one jiffy (10 ms) per CPU.
 */
import * as fs from 'fs';

export interface CpuReading {
  busy: number;
  total: number;
  own: number;
}

/** The current counters, or null where `/proc` is unavailable. */
export function cpuReading(): CpuReading | null {
  try {
    const [user, nice, system, idle, iowait, irq, softirq, steal] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { busy: user + nice + system + irq + softirq + steal, total: user + nice + system + idle + iowait + irq + softirq + steal, own: Number(rest[11]) + Number(rest[12]) };
  } catch {
    return null;
  }
}

/** Share of all CPUs other processes used between two readings (0…1), or null. */
export function foreignShare(a: CpuReading | null, b: CpuReading | null): number | null {
  if (!a || !b || b.total === a.total) return null;
  return Math.max(0, (b.busy - a.busy - (b.own - a.own)) / (b.total - a.total));
}
