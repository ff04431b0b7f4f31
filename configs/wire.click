// A wire: every frame from device 0 goes out on device 1 and back, unchanged. The smallest
// network function, and the baseline for the throughput of one guest between two hosts.
//
// Usage: a guest with two vifs, one on each host's bridge (device N is the vif the toolstack
// numbered N, `device/vif/N`), e.g. the xl config of the traffic test,
// tests/rig/traffic/wire.cfg: vif 0 on xenbr1, vif 1 on xenbr2; boot it with
// `ramdisk = "configs/wire.click"`, or install it later with `clickctl install DOMID
// configs/wire.click`. Both hosts share one IP subnet: the guest is invisible to them.
FromDevice(0) -> ToDevice(1);
FromDevice(1) -> ToDevice(0);
