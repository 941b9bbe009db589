"""Nova's own PCI code on an emitted nova.conf, run inside a mount namespace whose /sys is a kvm4nfv snapshot's.

argv: NOVA_CONF REQUESTS_JSON   (REQUESTS_JSON: a list of request sets, each a list of [physnet, count])
Prints JSON: {"device_spec": [...], "alias": {...}, "filters": [...], "pools": [...], "support": [bool, ...]}.
Every fact comes from Nova: oslo.config parses the file with Nova's registered options, nova.pci.whitelist /
devspec match the devices (reading the snapshot's sysfs, as on a compute node), nova.pci.request parses the
aliases, nova.pci.stats.PciDeviceStats builds the pools and answers support_requests the way PciPassthroughFilter
asks it (one InstancePCIRequest of count 1 per SR-IOV port, spec physical_network + dev_type type-VF).
"""
import glob
import json
import os
import sys

import nova.conf
from nova import objects
from nova.pci import request as pci_request
from nova.pci import stats as pci_stats
from nova.pci import whitelist

CONF = nova.conf.CONF


def sysfs(path):
    with open(path) as f:
        return f.read().strip()


def vf_devices():
    """Every VF the (snapshot's) sysfs shows, as the libvirt driver would report it to the resource tracker."""
    out = []
    for vf in sorted(glob.glob("/sys/bus/pci/devices/*/physfn")):
        dev = os.path.dirname(vf)
        addr = os.path.basename(dev)
        parent = os.path.basename(os.readlink(vf))
        numa = int(sysfs(os.path.join(dev, "numa_node")))
        pf_net = glob.glob(os.path.join(dev, "physfn", "net", "*"))
        out.append(objects.PciDevice(
            compute_node_id=1, address=addr, parent_addr=parent,
            vendor_id=sysfs(os.path.join(dev, "vendor"))[2:], product_id=sysfs(os.path.join(dev, "device"))[2:],
            numa_node=None if numa < 0 else numa, dev_type="type-VF", status="available", request_id=None,
            label="label_%s_%s" % (sysfs(os.path.join(dev, "vendor"))[2:], sysfs(os.path.join(dev, "device"))[2:]),
            dev_id="pci_" + addr.replace(":", "_").replace(".", "_"),
            extra_info={"parent_ifname": os.path.basename(pf_net[0])} if pf_net else {},
        ))
    return out


def main():
    conf_file, requests_json = sys.argv[1], sys.argv[2]
    objects.register_all()
    CONF(["--config-file", conf_file], project="nova")
    specs = list(CONF.pci.device_spec)
    wl = whitelist.Whitelist(specs)
    aliases = pci_request._get_alias_from_config()
    stats = pci_stats.PciDeviceStats(None, dev_filter=wl)
    for dev in vf_devices():
        stats.add_device(dev)
    pools = [{k: v for k, v in p.items() if k != "devices"} for p in stats.pools]
    support = []
    for req_set in json.loads(requests_json):
        reqs = []
        for physnet, count in req_set:
            for _ in range(count):
                reqs.append(objects.InstancePCIRequest(
                    count=1, spec=[{"physical_network": physnet, "dev_type": "type-VF"}], request_id=None))
        support.append(stats.support_requests(reqs))
    print(json.dumps({
        "device_spec": specs,
        "alias": {k: v[1] for k, v in aliases.items()},
        "filters": list(CONF.filter_scheduler.enabled_filters),
        "pools": pools,
        "support": support,
    }, default=str))


main()
