# SVG chart of the density test (tests/rig/density-tests.sh --chart): for each guest started,
# the time from `xl create` to its first ping reply and the part of it spent in `xl create`,
# against the number of guests already running. Input lines: RUNNING CREATE_MS REPLY_MS.
{ n++; x[n] = $1; create[n] = $2; reply[n] = $3; if ($1 > xmax) xmax = $1; if ($3 > ymax) ymax = $3 }
function px(v) { return 60 + v / xmax * 620 }
function py(v) { return 290 - v / ymax * 250 }
function line(series, color, label, ly,    i, d) {
    d = ""
    for (i = 1; i <= n; i++) d = d sprintf("%s%.1f,%.1f", i == 1 ? "M" : " L", px(x[i]), py(series[i]))
    printf "<path d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\"/>\n", d, color
    printf "<rect x=\"80\" y=\"%d\" width=\"12\" height=\"3\" fill=\"%s\"/><text x=\"98\" y=\"%d\">%s</text>\n", ly - 4, color, ly, label
}
END {
    if (n == 0) exit 1
    ymax = (int(ymax / 1000) + 1) * 1000
    print "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"720\" height=\"340\" font-family=\"sans-serif\" font-size=\"12\">"
    print "<rect width=\"720\" height=\"340\" fill=\"white\"/>"
    printf "<text x=\"360\" y=\"18\" text-anchor=\"middle\" font-size=\"14\">Starting one more guest with N running (Xen 4.17 in QEMU TCG)</text>\n"
    for (t = 0; t <= ymax; t += ymax / 5) {
        printf "<line x1=\"60\" y1=\"%.1f\" x2=\"680\" y2=\"%.1f\" stroke=\"#ddd\"/><text x=\"54\" y=\"%.1f\" text-anchor=\"end\">%d</text>\n", py(t), py(t), py(t) + 4, t
    }
    step = xmax > 100 ? 50 : (xmax > 20 ? 10 : 1)
    for (t = 0; t <= xmax; t += step) {
        printf "<text x=\"%.1f\" y=\"306\" text-anchor=\"middle\">%d</text>\n", px(t), t
    }
    print "<line x1=\"60\" y1=\"290\" x2=\"680\" y2=\"290\" stroke=\"black\"/><line x1=\"60\" y1=\"40\" x2=\"60\" y2=\"290\" stroke=\"black\"/>"
    print "<text x=\"370\" y=\"328\" text-anchor=\"middle\">guests already running</text>"
    print "<text x=\"14\" y=\"165\" text-anchor=\"middle\" transform=\"rotate(-90 14 165)\">ms</text>"
    line(reply, "#c0392b", "xl create to first ping reply", 52)
    line(create, "#2c7fb8", "xl create (toolstack) alone", 68)
    print "</svg>"
}
