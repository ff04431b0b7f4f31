// Refused by the traffic test's two-vif guest: it has vif 0 and vif 1, no vif 2. The guest
// must report the missing vif with its file:line:col and keep the running router.
FromDevice(0) -> ToDevice(1);
FromDevice(2) -> ToDevice(0);
