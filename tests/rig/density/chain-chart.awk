# SVG chart of the chains of the density test (tests/rig/density-tests.sh --chain-chart): for
# each number of guests already running, a bar per chain length, the time from the chain's
# first `xl create` to the first ping reply through the whole chain. Input lines:
# LEN RUNNING FIRST_REPLY_MS.
{
    if (!($1 in len_seen)) { len_seen[$1] = 1; lens[++nl] = $1 }
    if (!($2 in run_seen)) { run_seen[$2] = 1; runs[++nr] = $2 }
    ms[$1, $2] = $3
    if ($3 > ymax) ymax = $3
}
function py(v) { return 290 - v / ymax * 250 }
END {
    if (nr == 0) exit 1
    ymax = (int(ymax / 10000) + 1) * 10000
    split("#2c7fb8 #c0392b #27ae60 #8e44ad", colors, " ")
    group = 620 / nr
    bar = group * 0.7 / nl
    print "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"720\" height=\"340\" font-family=\"sans-serif\" font-size=\"12\">"
    print "<rect width=\"720\" height=\"340\" fill=\"white\"/>"
    printf "<text x=\"360\" y=\"18\" text-anchor=\"middle\" font-size=\"14\">Instantiating a chain of guests with N running (Xen 4.17 in QEMU TCG)</text>\n"
    for (t = 0; t <= ymax; t += ymax / 5) {
        printf "<line x1=\"60\" y1=\"%.1f\" x2=\"680\" y2=\"%.1f\" stroke=\"#ddd\"/><text x=\"54\" y=\"%.1f\" text-anchor=\"end\">%d</text>\n", py(t), py(t), py(t) + 4, t / 1000
    }
    for (r = 1; r <= nr; r++) {
        x0 = 60 + (r - 1) * group + group * 0.15
        for (l = 1; l <= nl; l++) {
            if (!((lens[l], runs[r]) in ms)) continue
            v = ms[lens[l], runs[r]]
            printf "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n", x0 + (l - 1) * bar, py(v), bar - 2, 290 - py(v), colors[(l - 1) % 4 + 1]
        }
        printf "<text x=\"%.1f\" y=\"306\" text-anchor=\"middle\">%d</text>\n", 60 + (r - 0.5) * group, runs[r]
    }
    for (l = 1; l <= nl; l++) {
        printf "<rect x=\"80\" y=\"%d\" width=\"12\" height=\"8\" fill=\"%s\"/><text x=\"98\" y=\"%d\">chain of %d guests</text>\n", 40 + 16 * l, colors[(l - 1) % 4 + 1], 48 + 16 * l, lens[l]
    }
    print "<line x1=\"60\" y1=\"290\" x2=\"680\" y2=\"290\" stroke=\"black\"/><line x1=\"60\" y1=\"40\" x2=\"60\" y2=\"290\" stroke=\"black\"/>"
    print "<text x=\"370\" y=\"328\" text-anchor=\"middle\">guests already running</text>"
    print "<text x=\"14\" y=\"165\" text-anchor=\"middle\" transform=\"rotate(-90 14 165)\">first xl create to first reply through the chain, s</text>"
    print "</svg>"
}
