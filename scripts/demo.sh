#!/bin/sh
# The demo (make demo).  relay-collect, klog and tprintk do not exist yet;
# until they do, say so rather than pretend.
echo "demo: not yet - the collector and the sample apps are still being built."
echo "demo: 'make check' shows what works today."
