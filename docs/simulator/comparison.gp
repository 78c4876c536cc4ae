set terminal svg size 1200,800 dynamic font 'sans,11'
set output 'docs/simulator/comparison.svg'
set multiplot layout 2,2 title "3037902 invocations of 500 functions on 18 hosts"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set grid ytics
set xtics rotate by -35 scale 0 noenhanced
set key top right noenhanced
set title 'Slowdown against the lower bound (log scale; lower is better)'
set logscale y
set yrange [0.9:*]
plot 'docs/simulator/comparison.dat' using 2:xtic(1) title 'mean', '' using 3 title 'p99'
unset logscale y
set yrange [0:105]
set title 'Invocations within 2x the lower bound (%)'
plot 'docs/simulator/comparison.dat' using 4:xtic(1) notitle lc rgb '#2a9d8f'
set yrange [0:*]
set title 'Host-hours used (lower is better)'
plot 'docs/simulator/comparison.dat' using 5:xtic(1) notitle lc rgb '#e76f51'
set title 'Memory allocated / memory used'
plot 'docs/simulator/comparison.dat' using 6:xtic(1) notitle lc rgb '#264653'
unset multiplot
reset
set terminal pngcairo size 1200,800 font 'sans,10'
set output 'docs/simulator/comparison.png'
set multiplot layout 2,2 title "3037902 invocations of 500 functions on 18 hosts"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set grid ytics
set xtics rotate by -35 scale 0 noenhanced
set key top right noenhanced
set title 'Slowdown against the lower bound (log scale; lower is better)'
set logscale y
set yrange [0.9:*]
plot 'docs/simulator/comparison.dat' using 2:xtic(1) title 'mean', '' using 3 title 'p99'
unset logscale y
set yrange [0:105]
set title 'Invocations within 2x the lower bound (%)'
plot 'docs/simulator/comparison.dat' using 4:xtic(1) notitle lc rgb '#2a9d8f'
set yrange [0:*]
set title 'Host-hours used (lower is better)'
plot 'docs/simulator/comparison.dat' using 5:xtic(1) notitle lc rgb '#e76f51'
set title 'Memory allocated / memory used'
plot 'docs/simulator/comparison.dat' using 6:xtic(1) notitle lc rgb '#264653'
unset multiplot
