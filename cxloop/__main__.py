from cxloop.cli import main

main()
