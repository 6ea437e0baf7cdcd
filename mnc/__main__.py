from mnc.cli import main

main()
