"""Load runs (`python -m benchmarks.chat`) and the helpers the two-instance test shares."""
