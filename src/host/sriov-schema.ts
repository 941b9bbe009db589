/** The JSON Schema (zod) of `inspect --json`'s `sriov` object (src/host/sriov.ts; docs/inspect-json.md). */
import { z } from "zod";

const int = z.number().int();
const str = z.string().nullable();
const bool = z.boolean().nullable();

const vf = z.strictObject({
  index: int,
  pciAddress: z.string(),
  deviceId: str,
  driver: str,
  driverOverride: str,
  netdev: str,
  iommuGroup: int.nullable(),
  mac: str,
  vlan: int.nullable(),
  qos: int.nullable(),
  trust: bool,
  spoofchk: bool,
  linkState: str,
  vfio: z.strictObject({ groupWhole: bool, viable: bool, blockers: z.array(z.string()) }),
});

export const sriovSchema = z.strictObject({
  pfs: z.array(
    z.strictObject({
      pciAddress: z.string(),
      vendorId: str,
      deviceId: str,
      vfDeviceId: str,
      driver: str,
      netdev: str,
      numaNode: int.nullable(),
      linkState: str,
      totalVfs: int.nullable(),
      numVfs: int.nullable(),
      driversAutoprobe: bool,
      offset: int.nullable(),
      stride: int.nullable(),
      iommuGroup: int.nullable(),
      vfs: z.array(vf),
    }),
  ),
  groups: z.array(
    z.strictObject({ id: int, members: z.array(z.strictObject({ pciAddress: z.string(), driver: str })) }),
  ),
  vfioPciLoaded: bool,
  aspmPolicy: str,
  vfOptionsSource: str,
});
