"""The command line: argparse adapters over corral.services. Only main.py exits."""
