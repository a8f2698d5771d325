from lounge.cli import main

main(prog_name="python -m lounge")
