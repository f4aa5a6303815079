from mlsandbox.cli import main

raise SystemExit(main())
