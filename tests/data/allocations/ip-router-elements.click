// The IP router elements in the steady state (tools: tests/tests/allocations.rs): a 314-byte
// frame with a Record Route option and TTL 1 goes through HostEtherFilter, DropBroadcasts,
// CheckIPHeader, StripIPHeader/UnstripIPHeader, IPGWOptions (records the route), FixIPSrc and
// DecIPTTL (expired); ICMPError makes a time-exceeded error, which IPFragmenter(100) splits
// into four fragments.
define($N 20000);
src :: InfiniteSource(DATA \<0000c000000102000000000208004800012c123400000111837f0a0000020a00
    0102070b0400000000000000000000070e151c232a31383f464d545b62697077
    7e858c939aa1a8afb6bdc4cbd2d9e0e7eef5fc030a11181f262d343b42495057
    5e656c737a81888f969da4abb2b9c0c7ced5dce3eaf1f8ff060d141b22293037
    3e454c535a61686f767d848b9299a0a7aeb5bcc3cad1d8dfe6edf4fb02091017
    1e252c333a41484f565d646b727980878e959ca3aab1b8bfc6cdd4dbe2e9f0f7
    fe050c131a21282f363d444b525960676e757c838a91989fa6adb4bbc2c9d0d7
    dee5ecf3fa01080f161d242b323940474e555c636a71787f868d949ba2a9b0b7
    bec5ccd3dae1e8eff6fd040b121920272e353c434a51585f666d747b82899097
    9ea5acb3bac1c8cfd6dde4ebf2f900070e151c232a31383f464d>, LIMIT $N, STOP true)
  -> cnt :: Counter
  -> HostEtherFilter(00:00:c0:00:00:01)
  -> DropBroadcasts
  -> Strip(14)
  -> CheckIPHeader
  -> StripIPHeader
  -> UnstripIPHeader
  -> IPGWOptions(10.0.1.1)
  -> FixIPSrc(10.0.1.1)
  -> dt :: DecIPTTL
  -> Discard;
dt[1] -> ICMPError(10.0.0.1, timeexceeded)
  -> FixIPSrc(10.0.0.1)
  -> fr :: IPFragmenter(100)
  -> Discard;
fr[1] -> Discard;
