from tocsin.cli import main

raise SystemExit(main())
