print("relieflog")
