"""What only training needs: the stage-wise trainer, the losses and the random window
sampler. Nothing at run time imports it (test_layering checks)."""
