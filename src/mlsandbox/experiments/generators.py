"""Networks that draw: a DCGAN for digits and one for clothes, and a conditional VAE whose digit space a person can
walk through. Classifiers trained here judge what they draw (digits_cnn, clothes_cnn)."""

from mlsandbox.data import fashion_mnist, mnist
from mlsandbox.experiments import clothes, digits
from mlsandbox.kinds.image_generator import GeneratorRecipe, ImageGenerator
from mlsandbox.settings import BATCH_SIZE, EPOCHS, LEARNING_RATE, SEED, TRAINING_SHARE, Setting

WIDTH = Setting("channels", int, "The width of both networks: the generator's last map and the discriminator's first "
                "have twice this many channels, the maps before and after them four times.", 8, 128, log=True,
                cost=1.7)
LATENT = 64  # numbers in a GAN's latent point
KL_WEIGHT = Setting("kl_weight", float, "How hard the encoder is pulled to the standard normal the decoder draws from: "
                    "lower reconstructs better and samples worse.", 0, 4)
VAE_WIDTH = Setting("hidden", int, "Units in the dense layer of the encoder and of the decoder.", 16, 1024, log=True,
                    cost=1)


def build_gan(channels: int = 32):
    from mlsandbox.nets.gan import GAN

    return GAN(latent=LATENT, channels=channels)


def build_vae(hidden: int = 256):
    from mlsandbox.nets.vae import VAE

    return VAE(latent=2, classes=10, hidden=hidden)


# DCGAN's recipe, Adam with a first beta of 0.5 and no weight decay, with the generator at 1e-3 and the
# discriminator at a fifth of that (nets.gan); here with a short warm-up, a schedule that ends low, one-sided label
# smoothing, and a moving average of the generator's weights, which draws smoother than the last step.
GAN_RECIPE = GeneratorRecipe(epochs=16, batch_size=128, learning_rate=1e-3, weight_decay=0.0, warmup=0.05, ema=0.999,
                             real_label=0.9)
GAN_SETTINGS = (WIDTH, EPOCHS, LEARNING_RATE, BATCH_SIZE, TRAINING_SHARE, SEED)
GAN_QUICK = dict(epochs=3)

GAN = dict(family="drawing", demo="generate", latent=LATENT, build_net=build_gan, recipe=GAN_RECIPE,
           settings=GAN_SETTINGS, quick=GAN_QUICK)

EXPERIMENTS = (
    ImageGenerator(
        id="digits_gan",
        title="Digits: a GAN that draws them",
        summary="A generator learns to draw handwritten digits by trying to fool a discriminator; walk through what it "
                "learned.",
        labels=mnist.LABELS,
        judge=digits.EXPERIMENTS[1],
        assets=mnist.ASSETS,
        load_data=mnist.load,
        **GAN,
    ),
    ImageGenerator(
        id="clothes_gan",
        title="Clothes: a GAN that draws them",
        summary="The same game on pictures of clothes: shirts, trousers, shoes and bags from a network's imagination.",
        labels=fashion_mnist.LABELS,
        judge=clothes.JUDGE,
        assets=fashion_mnist.ASSETS,
        load_data=fashion_mnist.load,
        **GAN,
    ),
    ImageGenerator(
        id="digits_vae",
        title="Digits: a space to walk through",
        summary="A conditional VAE keeps what makes a 3 a 3 apart from how it is written: pick a digit, move across "
                "its plane of styles, or draw your own and see where it lands.",
        family="drawing",
        demo="generate",
        labels=mnist.LABELS,
        judge=digits.EXPERIMENTS[1],
        latent=2,
        conditional=True,
        assets=mnist.ASSETS,
        load_data=mnist.load,
        build_net=build_vae,
        recipe=GeneratorRecipe(epochs=20, batch_size=128, learning_rate=2e-3, weight_decay=0.0, warmup=0.05),
        settings=(VAE_WIDTH, KL_WEIGHT, EPOCHS, LEARNING_RATE, BATCH_SIZE, TRAINING_SHARE, SEED),
        quick=dict(epochs=3),
    ),
)
