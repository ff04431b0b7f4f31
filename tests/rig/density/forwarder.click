// A link of the density test's chains of guests (tests/rig/density/steps.sh): a two-vif
// forwarder; what arrives on one vif leaves by the other, counted each way.
FromDevice(0) -> right :: Counter -> ToDevice(1);
FromDevice(1) -> left :: Counter -> ToDevice(0);
