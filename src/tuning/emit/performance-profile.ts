/**
 * The performance-profile emitter: the same decisions as an OpenShift Node Tuning Operator PerformanceProfile
 * (performance.openshift.io/v2), which renders nohz/isolcpus/rcu_nocbs, kthread priorities and sysctls itself.
 */
import { stringify } from "yaml";
import { formatCpuList } from "../../host/parse/cpulist.js";
import { formatHugepageSize } from "../plan-cmdline.js";
import type { Plan } from "../plan-types.js";

export function performanceProfile(plan: Plan): Record<string, unknown> {
  const hp = plan.hugepages;
  const spec: Record<string, unknown> = {
    cpu: { isolated: formatCpuList(plan.isolated), reserved: formatCpuList(plan.housekeeping) },
  };
  if (hp !== null) {
    const size = formatHugepageSize(hp.sizeKiB);
    spec.hugepages = { defaultHugepagesSize: size, pages: [{ size, count: hp.count, node: hp.node }] };
  }
  Object.assign(spec, {
    realTimeKernel: { enabled: true },
    numa: { topologyPolicy: "single-numa-node" },
    // irqbalance never puts an IRQ on an isolated CPU (the seeds' "disable irqbalance")
    globallyDisableIrqLoadBalancing: true,
    // realTime + highPowerConsumption is what renders idle=poll and processor.max_cstate=1 (seeds §2.2.1/§2.2.2)
    workloadHints: { realTime: true, highPowerConsumption: true, perPodPowerManagement: false },
    nodeSelector: { "node-role.kubernetes.io/worker-rt": "" },
  });
  return {
    apiVersion: "performance.openshift.io/v2",
    kind: "PerformanceProfile",
    metadata: { name: `kvm4nfv-rt-${plan.role}` },
    spec,
  };
}

export function emitPerformanceProfile(plan: Plan): string {
  return stringify(performanceProfile(plan));
}
